/**
 * The socket side of questions, polls and reactions in the browser: feeds into the qa store, and
 * the requests. Attached once per MeetingClient (useQa); every join (and rejoin, on any node) asks
 * again for what the feeds only send after a change.
 */
import { useEffect } from 'react';
import type { MeetingClient } from '../client/MeetingClient';
import { useStore } from '../state/store';
import type { QaQuestion, ReactionKind } from '../../../signaling/protocol/qa';
import { useQaStore, type HostFilter } from './qaStore';

const PAGE = 20;

export class QaApi {
  readonly #client: MeetingClient;

  constructor(client: MeetingClient) {
    this.#client = client;
  }

  attach(): () => void {
    const c = this.#client;
    const qa = useQaStore.getState;
    const offs = [
      c.on('qaHost', (summary) => qa().set({ hostSummary: summary })),
      c.on('pollHost', (polls) => qa().set({ polls })),
      c.on('reactions', (strip) => qa().set({ strip })),
      c.on('qaOwn', (q) => qa().set({ mine: qa().mine.map((m) => (m.id === q.id ? q : m)) })),
      c.on('qaPublic', (state) => {
        const before = qa().public;
        qa().set({ public: state });
        if (before?.version === state.version) return;
        // The top questions come with the state: merged into the list, no request. A new poll
        // needs this user's choices; a changed count, a fresh page now and then (jittered, so
        // that a large audience does not ask all at once).
        this.#mergeTop(state.top);
        if (state.poll?.id !== qa().currentPoll?.poll?.id) void this.#pollCurrent();
        if (state.visible !== qa().listTotal) this.#refreshSoon();
      }),
    ];
    let wasConnected = false;
    const unsub = useStore.subscribe((s) => {
      const connected = s.status === 'connected';
      if (connected && !wasConnected) void this.refresh(true);
      wasConnected = connected;
    });
    if (useStore.getState().status === 'connected') {
      wasConnected = true;
      void this.refresh(true);
    }
    return () => {
      for (const off of offs) off();
      unsub();
      if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
      this.#refreshTimer = null;
    };
  }

  #refreshTimer: ReturnType<typeof setTimeout> | null = null;
  #lastRefresh = 0;

  #mergeTop(top: QaQuestion[]): void {
    const s = useQaStore.getState();
    const byId = new Map(s.list.map((q) => [q.id, q]));
    for (const q of top) byId.set(q.id, q);
    const list = [...byId.values()].sort((a, b) => b.votes - a.votes || Number(a.id.slice(1)) - Number(b.id.slice(1)));
    s.set({ list });
  }

  async #pollCurrent(): Promise<void> {
    try {
      useQaStore.getState().set({ currentPoll: await this.#client.request('pollCurrent', {}) });
    } catch {
      // The next change or join asks again.
    }
  }

  #refreshSoon(): void {
    if (this.#refreshTimer) return;
    // Fewer visible questions (one was hidden): soon; more: within 15–20 s.
    const fewer = (useQaStore.getState().public?.visible ?? 0) < useQaStore.getState().listTotal;
    const wait = fewer ? Math.random() * 3_000 : Math.max(0, this.#lastRefresh + 15_000 - Date.now()) + Math.random() * 5_000;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      void this.refresh();
    }, wait);
  }

  get isHost(): boolean {
    const role = useStore.getState().self?.role;
    return role === 'host' || role === 'province_host';
  }

  /** Re-reads what the feeds send only after changes (after a join, or when the public state moved). */
  async refresh(joined = false): Promise<void> {
    this.#lastRefresh = Date.now();
    try {
      if (joined && this.isHost) await this.watch(useQaStore.getState().filter);
      const shown = Math.max(PAGE, useQaStore.getState().list.length);
      const [page, mine, current] = await Promise.all([
        this.#client.request('qaList', { sort: 'top', offset: 0, limit: Math.min(50, shown) }),
        this.#client.request('qaMine', {}),
        this.#client.request('pollCurrent', {}),
      ]);
      useQaStore.getState().set({
        list: page.rows,
        listTotal: page.total,
        voted: Object.fromEntries(page.voted.map((id) => [id, true as const])),
        mine: mine.rows,
        currentPoll: current,
      });
    } catch {
      // Not joined yet, or the connection dropped: the next join refreshes.
    }
  }

  async more(): Promise<void> {
    const { list } = useQaStore.getState();
    const page = await this.#client.request('qaList', { sort: 'top', offset: list.length, limit: PAGE });
    const s = useQaStore.getState();
    s.set({ list: [...s.list, ...page.rows.filter((r) => !s.list.some((x) => x.id === r.id))], listTotal: page.total, voted: { ...s.voted, ...Object.fromEntries(page.voted.map((id) => [id, true as const])) } });
  }

  async watch(filter: HostFilter): Promise<void> {
    useQaStore.getState().set({ filter });
    const summary = await this.#client.request('qaWatch', filter);
    useQaStore.getState().set({ hostSummary: summary });
  }

  async ask(text: string): Promise<void> {
    const { question } = await this.#client.request('qaAsk', { text });
    const s = useQaStore.getState();
    s.set({ mine: [...s.mine, question] });
  }

  async vote(questionId: string): Promise<void> {
    const { votes } = await this.#client.request('qaVote', { questionId });
    const s = useQaStore.getState();
    s.set({ voted: { ...s.voted, [questionId]: true }, list: s.list.map((q) => (q.id === questionId ? { ...q, votes } : q)) });
  }

  async moderate(questionId: string, action: 'answer' | 'unanswer' | 'hide' | 'unhide'): Promise<void> {
    await this.#client.request('qaModerate', { questionId, action });
  }

  async pin(questionId: string | null): Promise<void> {
    await this.#client.request('qaPin', { questionId });
  }

  async createPoll(p: { question: string; options: string[]; multiple: boolean; durationS: number | null; launch: boolean }): Promise<void> {
    await this.#client.request('pollCreate', p);
  }

  async pollAction(action: 'pollLaunch' | 'pollClose', pollId: string): Promise<void> {
    await this.#client.request(action, { pollId });
  }

  async showPoll(pollId: string, shown: boolean): Promise<void> {
    await this.#client.request('pollShow', { pollId, shown });
  }

  async votePoll(pollId: string, choices: number[]): Promise<void> {
    const res = await this.#client.request('pollVote', { pollId, choices });
    const s = useQaStore.getState();
    if (s.currentPoll) s.set({ currentPoll: { ...s.currentPoll, myChoices: res.choices } });
  }

  async react(kind: ReactionKind): Promise<void> {
    await this.#client.request('react', { kind });
  }
}

const apis = new WeakMap<MeetingClient, QaApi>();

/** The client's QaApi, attached while a component using it is mounted. */
export function useQa(client: MeetingClient): QaApi {
  let api = apis.get(client);
  if (!api) {
    api = new QaApi(client);
    apis.set(client, api);
  }
  const current = api;
  useEffect(() => current.attach(), [current]);
  return api;
}
