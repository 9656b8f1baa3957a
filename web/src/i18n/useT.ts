import { useStore } from '../state/store';
import { STRINGS, type StringKey } from './strings';

export type T = (key: StringKey, vars?: Record<string, string | number>) => string;

/** The current language's text for a key; `{name}` placeholders are filled from `vars`. */
export function useT(): T {
  const lang = useStore((s) => s.lang);
  return (key, vars) => {
    const text: string = STRINGS[lang][key];
    return vars ? text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m)) : text;
  };
}
