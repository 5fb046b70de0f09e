// The library's HTTPS agent: presents the --dir's current certificate and moves to a renewed one without a restart.
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { certificateSecured, type GraphQLAnswer } from './graphql';
import { liveFolder, readCertificateState, readLive, tlsCredentials } from './store';

type CreateConnection = (options: https.RequestOptions, callback?: (error: Error | null, socket: Duplex) => void) => Duplex;

/**
 * An https.Agent whose client certificate is whatever `live` points at when a connection opens. Connections are pooled
 * per certificate (the serial is part of the pool's name), and idle ones of a replaced certificate are closed, so no
 * request goes out with a certificate the agent has since retired.
 */
export class PairedHttpsAgent extends https.Agent {
  #folder: string | undefined;
  #credentials: { cert: string; key: string; ca?: string } | undefined;
  /** The generation each socket presented: a socket freed after `live` moved must not go back to the pool. */
  #socketFolders = new WeakMap<Duplex, string>();

  constructor(
    readonly dir: string,
    options: https.AgentOptions = {},
  ) {
    super({ keepAlive: true, ...options });
  }

  /** Re-reads the files when `live` moved (one readlink per request). */
  #current(): { folder: string; cert: string; key: string; ca?: string } {
    const folder = liveFolder(this.dir);
    if (folder === undefined) throw new Error(`${this.dir} holds no certificate: run pairing-agent pair first`);
    if (folder !== this.#folder || this.#credentials === undefined) {
      const state = readCertificateState(this.dir);
      const credentials = tlsCredentials(this.dir, state, readLive(this.dir));
      const previous = this.#folder;
      this.#credentials = { cert: credentials.cert, key: credentials.key, ca: credentials.serverCa };
      this.#folder = folder;
      if (previous !== undefined) this.#closeIdle(previous);
    }
    return { folder, ...this.#credentials };
  }

  #closeIdle(folder: string): void {
    for (const [name, sockets] of Object.entries(this.freeSockets)) {
      if (name.endsWith(`:${folder}`)) for (const socket of sockets ?? []) socket.destroy();
    }
  }

  /**
   * The pool's key: the certificate in use is part of it. http.Agent also asks for the key of an existing socket (when
   * it is freed or closed) with that socket's options, which carry the key it was created under (`_agentKey`).
   */
  override getName(options?: https.RequestOptions & { _agentKey?: string }): string {
    if (options?._agentKey) return options._agentKey;
    const base = (https.Agent.prototype as unknown as { getName: (options?: https.RequestOptions) => string }).getName.call(this, options);
    return `${base}:${this.#current().folder}`;
  }

  /** Called by http.Agent for each new socket. */
  override createConnection(options: https.RequestOptions, callback?: (error: Error | null, socket: Duplex) => void): Duplex {
    const { folder, cert, key, ca } = this.#current();
    const socket = (https.Agent.prototype as unknown as { createConnection: CreateConnection }).createConnection.call(this, { ...options, cert, key, ...(ca ? { ca } : {}) }, callback);
    this.#socketFolders.set(socket, folder);
    return socket;
  }

  /** A socket of a previous certificate that was busy while `live` moved is closed once free, not pooled again. */
  override keepSocketAlive(socket: Socket): boolean {
    let folder: string | undefined;
    try {
      folder = this.#current().folder;
    } catch {
      return false;
    }
    if (this.#socketFolders.get(socket) !== folder) return false;
    return (https.Agent.prototype as unknown as { keepSocketAlive: (socket: Socket) => boolean }).keepSocketAlive.call(this, socket);
  }
}

/** The certificate-secured Director of the pairing in `dir`. */
export function directorUrl(dir: string): string {
  return readCertificateState(dir).directorUrl;
}

/** A GraphQL call over mTLS through `agent` (one PairedHttpsAgent per process is enough). */
export function graphqlOverMtls<T>(agent: PairedHttpsAgent, url: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer<T>> {
  return certificateSecured<T>(url, { cert: '', key: '' }, query, variables, agent);
}
