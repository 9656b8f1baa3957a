import { useStore } from '../state/store';
import { STRINGS, type StringKey } from './strings';

export function useT(): (key: StringKey) => string {
  const lang = useStore((s) => s.lang);
  return (key) => STRINGS[lang][key];
}
