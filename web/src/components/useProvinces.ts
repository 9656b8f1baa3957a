import { useEffect } from 'react';
import { useStore } from '../state/store';
import type { ProvincesAnswer } from '../../../signaling/protocol/http';

/** Loads the province names once. */
export function useProvinces(): Record<string, string> {
  const provinces = useStore((s) => s.provinces);
  const setProvinces = useStore((s) => s.setProvinces);
  useEffect(() => {
    if (Object.keys(provinces).length > 0) return;
    fetch('/api/provinces')
      .then(async (r) => {
        const body = (await r.json()) as ProvincesAnswer;
        setProvinces(Object.fromEntries(body.provinces.map((p) => [p.code, p.name])));
      })
      .catch(() => undefined);
  }, [provinces, setProvinces]);
  return provinces;
}
