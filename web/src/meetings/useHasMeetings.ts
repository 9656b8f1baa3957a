import { useEffect, useState } from 'react';

/**
 * Whether this server schedules meetings (it has a database): true, false, or null while asking.
 * Asked once per sign-in.
 */
export function useHasMeetings(token: string | null): boolean | null {
  const [has, setHas] = useState<boolean | null>(null);
  useEffect(() => {
    if (!token) {
      setHas(null);
      return;
    }
    let stop = false;
    fetch('/api/meetings', { headers: { authorization: `Bearer ${token}` } })
      .then((r) => !stop && setHas(r.status !== 404))
      .catch(() => !stop && setHas(false));
    return () => {
      stop = true;
    };
  }, [token]);
  return has;
}
