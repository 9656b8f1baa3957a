import { useEffect } from 'react';
import { useStore } from '../state/store';
import { provincesOf, type Provinces } from '../state/provinceOrder';
import type { ProvincesAnswer } from '../../../signaling/protocol/http';

/** Loads the provinces once, keeping the API's order. */
export function useProvinces(): Provinces {
  const provinces = useStore((s) => s.provinces);
  const setProvinces = useStore((s) => s.setProvinces);
  useEffect(() => {
    if (provinces.list.length > 0) return;
    fetch('/api/provinces')
      .then(async (r) => {
        const body = (await r.json()) as ProvincesAnswer;
        setProvinces(provincesOf(body.provinces));
      })
      .catch(() => undefined);
  }, [provinces, setProvinces]);
  return provinces;
}
