/** The caller of an HTTP API request, from its `Authorization: Bearer <token>` header (AppError 'unauthorized' otherwise). */
import type { Request } from 'express';
import type { Claims, TokenVerifier } from '../auth/tokens';

export function bearerClaims(tokens: TokenVerifier, req: Request): Claims {
  const header = req.headers.authorization;
  return tokens.verify(typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined);
}
