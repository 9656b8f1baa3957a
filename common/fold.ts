/** Lower case without Vietnamese diacritics ("Đà Nẵng" → "da nang"), for searching names. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'd')
    .toLowerCase();
}
