/**
 * How the meeting domain reaches participants, without knowing about sockets: the socket layer
 * implements it (signaling/socketNotifier.ts) over socket.io and, in a cluster, its Redis adapter.
 */
import type { ServerToClientEvents } from '../protocol/events';

export type ServerEvent = keyof ServerToClientEvents;
export type EventArgs<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>;

export interface MeetingNotifier {
  /** Every socket in the room, on every signaling node. */
  toRoom<E extends ServerEvent>(room: string, event: E, ...args: EventArgs<E>): void;
  /** This node's sockets in the room only (summaries each node builds for its own hosts). */
  toLocalRoom<E extends ServerEvent>(room: string, event: E, ...args: EventArgs<E>): void;
  /** One socket, wherever it is connected. */
  toSocket<E extends ServerEvent>(socketId: string, event: E, ...args: EventArgs<E>): void;
  /** Puts a socket of this node into rooms. */
  join(socketId: string, rooms: string[]): Promise<void>;
  /** Takes a socket of this node out of the rooms that match. */
  leave(socketId: string, which: (room: string) => boolean): Promise<void>;
  /** Whether a socket of this node is in a room (a local check). */
  inRoom(socketId: string, room: string): boolean;
  /** Disconnects a socket, wherever it is connected (a newer connection of the same user won). */
  disconnect(socketId: string): void;
}
