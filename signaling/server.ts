/**
 * One hoinghi node: express (health, metrics, demo sign-in, the web client) and socket.io (the
 * meeting protocol) on one HTTP server, driving an SFU through its control interface.
 */
import http from 'node:http';
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { logger } from '../common/log';
import { LocalSfu } from '../sfu/LocalSfu';
import type { SfuControl } from '../sfu/types';
import type { Config } from './config';
import { TokenBucket } from './admission';
import { Metrics } from './metrics';
import { SocketServer } from './socketServer';
import { apiRouter, errorHandler } from './http/routes';

const log = logger('server');
const DEFAULT_WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web/dist');

export class HoinghiServer {
  readonly config: Config;
  readonly sfu: SfuControl;
  readonly httpServer: http.Server;
  readonly sockets: SocketServer;
  readonly metrics: Metrics;

  private constructor(config: Config, sfu: SfuControl) {
    this.config = config;
    this.sfu = sfu;
    const app = express();
    app.disable('x-powered-by');
    this.httpServer = http.createServer(app);
    const tokenKeys = { ...config.jwt };
    this.sockets = new SocketServer(this.httpServer, {
      tokenKeys,
      sfu,
      metrics: () => this.metrics,
      joinBucket: new TokenBucket(config.admission.joinsPerSecond, config.admission.burst),
      meeting: config.meeting,
      corsOrigins: false,
    });
    this.metrics = new Metrics(sfu, () => this.sockets.io.engine.clientsCount);
    app.use(apiRouter({ sfu, metrics: this.metrics, tokenKeys, demo: config.demo }));

    const webDist = config.webDist ?? DEFAULT_WEB_DIST;
    if (fs.existsSync(path.join(webDist, 'index.html'))) {
      app.use(express.static(webDist, { index: false, maxAge: '1h' }));
      // Single-page app: every other GET gets index.html.
      app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => {
        res.setHeader('Cache-Control', 'no-cache');
        res.sendFile(path.join(webDist, 'index.html'));
      });
    } else {
      log.warn({ webDist }, 'web client not built; serving the API only');
    }
    app.use(errorHandler);
  }

  static async create(config: Config, sfu?: SfuControl): Promise<HoinghiServer> {
    const control = sfu ?? (await LocalSfu.create(config.sfu));
    const server = new HoinghiServer(config, control);
    await new Promise<void>((resolve, reject) => {
      server.httpServer.once('error', reject);
      server.httpServer.listen(config.http.port, config.http.host, () => resolve());
    });
    return server;
  }

  get url(): string {
    const { port } = this.httpServer.address() as AddressInfo;
    const host = this.config.http.host.includes(':') ? `[${this.config.http.host}]` : this.config.http.host;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  }

  async close(): Promise<void> {
    await this.sockets.close();
    await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    await this.sfu.close();
  }
}
