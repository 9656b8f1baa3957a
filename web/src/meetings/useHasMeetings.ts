import { useEffect, useState } from 'react';
import { useStore } from '../state/store';

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
      .then((r) => {
        if (stop) return;
        // Refused: the sign-in is over (the page asks to sign in again); either way it schedules.
        if (r.status === 401) useStore.getState().setSignInExpired();
        setHas(r.status !== 404);
      })
      .catch(() => !stop && setHas(false));
    return () => {
      stop = true;
    };
  }, [token]);
  return has;
}
