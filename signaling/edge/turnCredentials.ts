/**
 * TURN credentials of the REST scheme (draft-uberti-behave-turn-rest, as coturn's
 * `use-auth-secret` checks them): the username is `<unix expiry>:<user id>` and the password is
 * base64(HMAC-SHA1(secret, username)). The relay recomputes the HMAC and refuses an expired
 * username, so nothing is stored and nothing needs revoking.
 */
import { createHmac } from 'node:crypto';
import type { IceServerInfo } from '../protocol/events';

export interface TurnSettings {
  urls: string[];
  secret: string;
  ttlS: number;
}


export class TurnCredentials {
  readonly #settings: TurnSettings;
  readonly #now: () => number;

  constructor(settings: TurnSettings, now: () => number = Date.now) {
    this.#settings = settings;
    this.#now = now;
  }

  /** Fresh credentials for `userId`, good for the configured lifetime from now. */
  issue(userId: string): IceServerInfo[] {
    const expiry = Math.floor(this.#now() / 1000) + this.#settings.ttlS;
    // The user id names who relayed in the relay's own log; a ':' in it would shift the expiry field.
    const username = `${expiry}:${userId.replace(/:/g, '_')}`;
    const credential = createHmac('sha1', this.#settings.secret).update(username).digest('base64');
    return [{ urls: this.#settings.urls, username, credential }];
  }
}
