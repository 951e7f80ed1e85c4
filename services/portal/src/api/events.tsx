import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { LiveMessage } from './types';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';
type Listener = (message: LiveMessage) => void;

interface LiveEvents {
  status: LiveStatus;
  subscribe(listener: Listener): () => void;
}

const EventsContext = createContext<LiveEvents>({ status: 'connecting', subscribe: () => () => undefined });

/** Where the gateway's websocket answers: same origin, `ws:` or `wss:` to match the page. */
function eventsUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/v1/events`;
}

/**
 * One websocket to `/api/v1/events` for the whole signed-in app, reconnecting with a
 * growing delay (0.5 s doubling to 10 s) after any close. The session cookie authenticates
 * the upgrade. Pages subscribe with `useLiveEvents`.
 */
export function EventsProvider({ children }: { children: ReactNode }): ReactNode {
  const listeners = useRef(new Set<Listener>());
  const [status, setStatus] = useState<LiveStatus>('connecting');

  useEffect(() => {
    let socket: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delayMs = 500;
    let stopped = false;
    const connect = (): void => {
      socket = new WebSocket(eventsUrl());
      socket.onopen = () => {
        delayMs = 500;
        setStatus('live');
      };
      socket.onmessage = (msg: MessageEvent<string>) => {
        let message: LiveMessage;
        try {
          message = JSON.parse(msg.data) as LiveMessage;
        } catch {
          return;
        }
        for (const listener of listeners.current) listener(message);
      };
      socket.onclose = () => {
        if (stopped) return;
        setStatus('reconnecting');
        timer = setTimeout(connect, delayMs);
        delayMs = Math.min(delayMs * 2, 10_000);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, []);

  const value = useRef<LiveEvents>({
    status,
    subscribe: (listener) => {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
  });
  value.current = { ...value.current, status };
  return <EventsContext.Provider value={value.current}>{children}</EventsContext.Provider>;
}

/** Calls `onMessage` for every live message while the component is mounted; returns the connection status. */
export function useLiveEvents(onMessage?: Listener): LiveStatus {
  const { status, subscribe } = useContext(EventsContext);
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => subscribe((m) => handler.current?.(m)), [subscribe]);
  return status;
}
