/**
 * Who a person signed in at the ministry's provider is here: looked up by id in the organisation
 * records, the staff directory first (hosts and province hosts), then the teachers (with their
 * school and province). Someone the records do not know gets no session.
 */
import type { Queryable } from '../db/Db';
import { staffByIds } from '../org/staffRepo';
import { teacherPlace } from '../org/orgRepo';
import type { SessionPerson } from './sessions';

/** Ids the records use (the same bounds as a token's `sub`). */
const ID = /^[^\u0000-\u001F\u007F]{1,64}$/;

export async function personFromRecords(db: Queryable, id: string): Promise<SessionPerson | null> {
  if (!ID.test(id)) return null;
  const [staff] = await staffByIds(db, [id]);
  if (staff) return { sub: staff.id, name: staff.name, role: staff.role, province: staff.role === 'province_host' ? staff.province : null, school: null };
  const place = await teacherPlace(db, id);
  if (place) return { sub: place.id, name: place.name, role: 'teacher', province: place.province, school: place.schoolName.slice(0, 128) };
  return null;
}
