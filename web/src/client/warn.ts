/** A background step of the client failed: said on the console, not to the user (the flow recovers by itself). */
export function warn(what: string, error: unknown): void {
  console.warn(`hoinghi: ${what} failed:`, error instanceof Error ? `${error.name}: ${error.message}` : error);
}
