/**
 * The socket side of live captions in the browser: the `captions` feed into the captions store,
 * the last lines at every join (late joiners, a rejoin on another node), and the captioner's
 * requests. Attached once per MeetingClient while a component using it is mounted (useCaptions).
 */
import { useEffect } from 'react';
import type { MeetingClient } from '../client/MeetingClient';
import { useStore } from '../state/store';
import type { CaptionCue } from '../../../signaling/protocol/captions';
import { useCaptionsStore } from './captionsStore';

export class CaptionsApi {
  readonly #client: MeetingClient;
  #attached = 0;
  #detach: (() => void) | null = null;

  constructor(client: MeetingClient) {
    this.#client = client;
  }

  attach(): () => void {
    this.#attached += 1;
    if (this.#attached === 1) this.#detach = this.#start();
    return () => {
      this.#attached -= 1;
      if (this.#attached === 0) {
        this.#detach?.();
        this.#detach = null;
      }
    };
  }

  #start(): () => void {
    const off = this.#client.on('captions', (cues) => useCaptionsStore.getState().receive(cues));
    let wasConnected = false;
    const onState = (connected: boolean): void => {
      if (connected && !wasConnected) void this.#recent();
      wasConnected = connected;
    };
    const unsub = useStore.subscribe((s) => onState(s.status === 'connected' && s.self !== null));
    onState(useStore.getState().status === 'connected' && useStore.getState().self !== null);
    return () => {
      off();
      unsub();
    };
  }

  async #recent(): Promise<void> {
    try {
      const { lines } = await this.#client.request('captionsRecent', {});
      useCaptionsStore.getState().recent(lines);
    } catch {
      // Not joined yet, or the connection dropped: the next join asks again.
    }
  }

  interim(id: string, text: string, typingMs: number): Promise<unknown> {
    return this.#client.request('captionInterim', { id, text, typingMs });
  }

  async final(id: string, text: string, typingMs: number, revision = 0): Promise<CaptionCue> {
    const { cue } = await this.#client.request('captionFinal', { id, text, typingMs, revision });
    // Shown at once on the captioner's own page (the broadcast brings it too: the same line).
    useCaptionsStore.getState().receive([cue]);
    return cue;
  }
}

const apis = new WeakMap<MeetingClient, CaptionsApi>();

export function useCaptions(client: MeetingClient): CaptionsApi {
  let api = apis.get(client);
  if (!api) {
    api = new CaptionsApi(client);
    apis.set(client, api);
  }
  const current = api;
  useEffect(() => current.attach(), [current]);
  return api;
}
