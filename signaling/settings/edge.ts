/**
 * Settings of the socket layer's defences against hostile clients, and of who a client is behind
 * a load balancer.
 */
import { z } from 'zod';
import { bool, settingDocs } from '../../common/env';
import { isCidr } from '../edge/clientAddress';

export const edgeSettings = {
  HOINGHI_TRUSTED_PROXIES: z
    .string()
    .default('')
    .refine((v) => v.split(',').map((c) => c.trim()).filter(Boolean).every(isCidr), 'a comma-separated list of IP addresses or CIDR blocks')
    .register(settingDocs, {
      doc:
        'Proxies whose X-Forwarded-For is believed (the load balancer), e.g. `127.0.0.1,10.0.0.0/8`. With none, the socket\'s peer ' +
        'address is the client. Used by express (`trust proxy`) and by the per-IP limits of the socket layer.',
      shownDefault: 'empty: none',
      type: 'comma-separated IP addresses or CIDR blocks',
    }),
  HOINGHI_AUTH_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(200)
    .max(60_000)
    .default(5_000)
    .register(settingDocs, { doc: 'A socket that has not authenticated (socket.io CONNECT with a valid token) within this is closed, ms.' }),
  HOINGHI_MAX_PENDING_PER_IP: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(100)
    .register(settingDocs, {
      doc:
        "Sockets not yet authenticated, per client IP, at one time. A school or a mobile carrier's NAT puts many teachers behind " +
        'one address, but each stays unauthenticated only for a round trip; a refused browser retries with back-off.',
    }),
  HOINGHI_MAX_SOCKETS_PER_IP: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(5_000)
    .register(settingDocs, { doc: 'Sockets (authenticated or not) per client IP; high for carrier-grade NAT.' }),
  HOINGHI_REQUIRE_ORIGIN: bool.default(false).register(settingDocs, {
    doc:
      'Refuse WebSocket handshakes that carry no Origin header. Off by default: every browser sends Origin on a WebSocket ' +
      "handshake, so a missing one means a non-browser client, which cannot carry a victim's session (cross-site WebSocket " +
      'hijacking needs a browser) and must present a token anyway. A foreign Origin is always refused.',
  }),
  HOINGHI_SOCKET_EVENTS_PER_S: z.coerce
    .number()
    .positive()
    .max(100_000)
    .default(50)
    .register(settingDocs, { doc: 'Events per second per socket, sustained; beyond, events are refused with a typed error.' }),
  HOINGHI_SOCKET_EVENT_BURST: z.coerce
    .number()
    .int()
    .positive()
    .max(1_000_000)
    .default(100)
    .register(settingDocs, { doc: 'Events per socket in a burst, above the sustained rate.' }),
};
