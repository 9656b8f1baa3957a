/**
 * The meeting domain's notifier over socket.io. With the Redis adapter (cluster), room emits and
 * disconnects reach sockets on every signaling node; `toLocalRoom` stays on this node.
 */
import type { EventArgs, MeetingNotifier, ServerEvent } from './meeting/Notifier';
import type { TypedServer } from './socketTypes';

type LooseEmit = (event: string, ...args: unknown[]) => boolean;

export class SocketNotifier implements MeetingNotifier {
  readonly #io: TypedServer;

  constructor(io: TypedServer) {
    this.#io = io;
  }

  toRoom<E extends ServerEvent>(room: string, event: E, ...args: EventArgs<E>): void {
    (this.#io.to(room).emit as unknown as LooseEmit)(event, ...args);
  }

  toLocalRoom<E extends ServerEvent>(room: string, event: E, ...args: EventArgs<E>): void {
    (this.#io.local.to(room).emit as unknown as LooseEmit)(event, ...args);
  }

  toSocket<E extends ServerEvent>(socketId: string, event: E, ...args: EventArgs<E>): void {
    const local = this.#io.sockets.sockets.get(socketId);
    if (local) (local.emit as unknown as LooseEmit)(event, ...args);
    else (this.#io.to(socketId).emit as unknown as LooseEmit)(event, ...args);
  }

  async join(socketId: string, rooms: string[]): Promise<void> {
    await this.#io.sockets.sockets.get(socketId)?.join(rooms);
  }

  async leave(socketId: string, which: (room: string) => boolean): Promise<void> {
    const socket = this.#io.sockets.sockets.get(socketId);
    if (!socket) return;
    for (const room of [...socket.rooms]) if (room !== socketId && which(room)) await socket.leave(room);
  }

  inRoom(socketId: string, room: string): boolean {
    return this.#io.sockets.sockets.get(socketId)?.rooms.has(room) ?? false;
  }

  disconnect(socketId: string): void {
    const local = this.#io.sockets.sockets.get(socketId);
    if (local) local.disconnect(true);
    else this.#io.in(socketId).disconnectSockets(true);
  }
}
