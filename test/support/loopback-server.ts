import * as k8s from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** A plain-HTTP server on 127.0.0.1 and a kubeconfig pointing at it. */
export interface LoopbackServer {
  kc: k8s.KubeConfig;
  close(): Promise<void>;
}

/**
 * Starts a loopback HTTP server that hands every request to `onRequest`, for
 * unit tests of the request and watch code (no API server involved).
 */
export async function startLoopbackServer(
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<LoopbackServer> {
  const server = createServer(onRequest);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return {
    kc,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
