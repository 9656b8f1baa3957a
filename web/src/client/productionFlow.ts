/**
 * The produced broadcast from the page (signaling/meeting/productionFlow.ts is the server side):
 * a producer changes the stage and names the crew; anyone turns the interpreter's picture on or
 * off for themselves (remembered, and sent again after every join by receiver.ts).
 */
import type { AckOf, CrewRole } from '../../../signaling/protocol/events';
import type { ClientRequest } from '../../../signaling/protocol/schemas';
import { useStore } from '../state/store';
import type { Connection } from './connection';

export async function updateStage(conn: Connection, change: ClientRequest<'updateStage'>): Promise<AckOf<'updateStage'>> {
  const production = await conn.request('updateStage', change);
  useStore.getState().setProduction(production);
  return production;
}

export async function setCrew(conn: Connection, userId: string, role: CrewRole | null, name?: string): Promise<AckOf<'setCrew'>> {
  const production = await conn.request('setCrew', name ? { userId, role, name } : { userId, role });
  useStore.getState().setProduction(production);
  return production;
}

/** Remembered at once; told to the server when joined (the next join tells it otherwise). */
export async function setInterpreterView(conn: Connection, joined: boolean, on: boolean): Promise<void> {
  useStore.getState().setInterpreterView(on);
  if (joined) await conn.request('setInterpreterView', { on });
}
