/**
 * RDS's IAM database authentication, emulated honestly enough to test a client against a real
 * PostgreSQL: what RDS does in front of a role that is a member of `rds_iam`, and the EKS Pod
 * Identity agent that hands a pod its AWS credentials.
 *
 * - {@link FakeIam}: access keys (with a secret, a session token and an expiry) of named roles,
 *   and the database users each role may `rds-db:connect` as (its IAM policy).
 * - {@link verifyRdsToken}: checks a token as RDS does: a SigV4 presigned `GET /?Action=connect&DBUser=…`
 *   for this endpoint (`host:port`), region and service `rds-db`, signed with a known, unexpired key
 *   whose role may connect as that user, at most 15 minutes old (`X-Amz-Expires` ≤ 900) and not from
 *   the future. The signature is recomputed here from the key's secret, independently of botocore.
 * - {@link RdsIamProxy}: a PostgreSQL-protocol front door on 127.0.0.1. It speaks TLS only (the
 *   server certificate it is given, as RDS with `rds.force_ssl`), asks for the password in clear
 *   text inside TLS (as RDS does for IAM users), checks it as a token, and only then opens the real
 *   server's Unix socket with the client's own startup message (user, database) and relays bytes
 *   both ways. The server's pg_hba admits `+rds_iam` on that socket only, so PostgreSQL itself
 *   decides that the user is an IAM user, and the proxy that the token is good.
 * - {@link FakePodIdentityAgent}: `GET /v1/credentials` with the pod's authorization token returns the
 *   current credentials of the role bound to that token, as the agent on every EKS node does.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import * as http from "node:http";
import * as net from "node:net";
import * as tls from "node:tls";

/** Token lifetime RDS accepts at most, in seconds. */
export const RDS_TOKEN_MAX_SECONDS = 900;

/** An access key of a role, as STS hands out temporary credentials. */
export interface FakeAccessKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch milliseconds after which the key signs nothing valid. */
  expiresAt: number;
  readonly role: string;
}

/** IAM as far as RDS asks it: keys, their roles, and which database users each role may connect as. */
export class FakeIam {
  readonly keys = new Map<string, FakeAccessKey>();
  /** Role name to the database users its policy allows `rds-db:connect` as. */
  readonly connectGrants = new Map<string, readonly string[]>();

  /** New temporary credentials of `role`, valid for `lifetimeMs`. */
  issue(role: string, lifetimeMs: number, now = Date.now()): FakeAccessKey {
    const key: FakeAccessKey = {
      accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString("base64"),
      sessionToken: randomBytes(48).toString("base64"),
      expiresAt: now + lifetimeMs,
      role,
    };
    this.keys.set(key.accessKeyId, key);
    return key;
  }

  /** Ends a key now (as when temporary credentials expire). */
  expire(accessKeyId: string, now = Date.now()): void {
    const key = this.keys.get(accessKeyId);
    if (key) key.expiresAt = now;
  }
}

/** RFC 3986 encoding, as SigV4 canonicalises query strings. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `YYYYMMDDTHHMMSSZ` of `ms`. */
export function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data, "utf8").digest();
}

/** The SigV4 signature of a presigned `GET /` to `endpoint` with `params` (without the signature). */
function signature(secret: string, endpoint: string, params: Array<[string, string]>, date: string, region: string): string {
  const query = params
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  // botocore (and so RDS) hashes the empty body of the GET, not UNSIGNED-PAYLOAD as S3 presigning does.
  const canonicalRequest = ["GET", "/", query, `host:${endpoint}`, "", "host", createHash("sha256").update("").digest("hex")].join("\n");
  const day = date.slice(0, 8);
  const scope = `${day}/${region}/rds-db/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", date, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), "rds-db"), "aws4_request");
  return hmac(signingKey, stringToSign).toString("hex");
}

/** A token made here (not by botocore), e.g. one signed 16 minutes ago: to prove what RDS refuses. */
export function signRdsToken(o: { key: FakeAccessKey; endpoint: string; user: string; region: string; signedAt: number; expiresSeconds?: number }): string {
  const date = amzDate(o.signedAt);
  const params: Array<[string, string]> = [
    ["Action", "connect"],
    ["DBUser", o.user],
    ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
    ["X-Amz-Credential", `${o.key.accessKeyId}/${date.slice(0, 8)}/${o.region}/rds-db/aws4_request`],
    ["X-Amz-Date", date],
    ["X-Amz-Expires", String(o.expiresSeconds ?? RDS_TOKEN_MAX_SECONDS)],
    ["X-Amz-Security-Token", o.key.sessionToken],
    ["X-Amz-SignedHeaders", "host"],
  ];
  const sig = signature(o.key.secretAccessKey, o.endpoint, params, date, o.region);
  return `${o.endpoint}/?${[...params, ["X-Amz-Signature", sig]].map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join("&")}`;
}

/** What RDS knows when it checks a token. */
export interface TokenCheck {
  readonly iam: FakeIam;
  /** `host:port` the client connected to. */
  readonly endpoint: string;
  readonly region: string;
  /** The user of the startup message. */
  readonly user: string;
  /** Now, epoch milliseconds. */
  readonly now: number;
}

/** The reason `token` is refused, or undefined when RDS would accept it. */
export function verifyRdsToken(token: string, c: TokenCheck): string | undefined {
  const at = token.indexOf("/?");
  if (at < 0) return "not a presigned URL";
  if (token.slice(0, at) !== c.endpoint) return `signed for ${token.slice(0, at)}, not ${c.endpoint}`;
  const params: Array<[string, string]> = [...new URLSearchParams(token.slice(at + 2))];
  const get = (name: string) => params.filter(([k]) => k === name).map(([, v]) => v);
  for (const name of ["Action", "DBUser", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"]) {
    if (get(name).length !== 1) return `${name} missing or repeated`;
  }
  const one = (name: string) => get(name)[0];
  if (one("Action") !== "connect") return "not a connect action";
  if (one("DBUser") !== c.user) return `a token for ${one("DBUser")}, not ${c.user}`;
  if (one("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256" || one("X-Amz-SignedHeaders") !== "host") return "not SigV4 over the host header";
  const [accessKeyId, day, region, service, terminator, ...rest] = one("X-Amz-Credential").split("/");
  const date = one("X-Amz-Date");
  if (rest.length > 0 || terminator !== "aws4_request" || service !== "rds-db" || region !== c.region || day !== date.slice(0, 8)) return "wrong credential scope";
  const key = c.iam.keys.get(accessKeyId);
  if (!key) return "unknown access key";
  if ((get("X-Amz-Security-Token")[0] ?? "") !== key.sessionToken) return "wrong session token";
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!m) return "bad X-Amz-Date";
  const signedAt = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  const expires = Number(one("X-Amz-Expires"));
  if (!Number.isInteger(expires) || expires < 1 || expires > RDS_TOKEN_MAX_SECONDS) return "X-Amz-Expires beyond 900 seconds";
  if (signedAt > c.now + 5 * 60_000) return "signed in the future";
  if (c.now > signedAt + expires * 1000) return "expired token";
  if (c.now >= key.expiresAt) return "expired credentials";
  const expected = signature(key.secretAccessKey, c.endpoint, params.filter(([k]) => k !== "X-Amz-Signature"), date, c.region);
  if (expected !== one("X-Amz-Signature")) return "signature does not match";
  if (!(c.iam.connectGrants.get(key.role) ?? []).includes(c.user)) return `role ${key.role} may not rds-db:connect as ${c.user}`;
  return undefined;
}

/** Buffers a socket's bytes so the handshake can read exact lengths. */
class Reader {
  private buffer = Buffer.alloc(0);
  private waiting?: () => void;
  private ended = false;
  constructor(private readonly socket: net.Socket) {
    socket.on("data", this.onData);
    socket.once("end", () => ((this.ended = true), this.waiting?.()));
    socket.once("error", () => ((this.ended = true), this.waiting?.()));
  }
  private readonly onData = (chunk: Buffer) => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.waiting?.();
  };
  async read(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.ended) throw new Error("connection closed during the handshake");
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }
  /** Stops buffering; returns what was read ahead. */
  release(): Buffer {
    this.socket.off("data", this.onData);
    return this.buffer;
  }
}

function errorResponse(code: string, message: string): Buffer {
  const fields = Buffer.concat([...["SFATAL", "VFATAL", `C${code}`, `M${message}`].map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write("E", 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const PROTOCOL_3 = 196608;

/** A log line per connection attempt: who, and whether (and why not) the token was accepted. */
export interface ProxyAttempt {
  readonly user: string;
  readonly database: string;
  readonly accessKeyId?: string;
  readonly refused?: string;
}

/** The PostgreSQL-protocol front door that authenticates IAM tokens as RDS does (see the file comment). */
export class RdsIamProxy {
  readonly attempts: ProxyAttempt[] = [];
  /** Added to the real clock when checking tokens: to see a token as RDS would 15 minutes later. */
  clockSkewMs = 0;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly o: {
      readonly iam: FakeIam;
      readonly region: string;
      readonly cert: string;
      readonly key: string;
      /** The real server's Unix socket file, e.g. `<dir>/.s.PGSQL.<port>`. */
      readonly backendSocket: string;
    },
  ) {}

  /** `127.0.0.1:<port>`, the endpoint tokens must be signed for. */
  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      this.handle(socket).catch(() => socket.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
  }

  private async handle(plain: net.Socket): Promise<void> {
    let reader = new Reader(plain);
    let client: net.Socket = plain;
    let startup: Buffer | undefined;
    while (!startup) {
      const length = (await reader.read(4)).readInt32BE(0);
      if (length < 8 || length > 10_000) throw new Error("bad startup length");
      const body = await reader.read(length - 4);
      const code = body.readInt32BE(0);
      if (code === GSSENC_REQUEST) {
        client.write("N");
      } else if (code === SSL_REQUEST && client === plain) {
        reader.release();
        plain.write("S");
        const secure = new tls.TLSSocket(plain, { isServer: true, cert: this.o.cert, key: this.o.key });
        this.sockets.add(secure);
        client = secure;
        reader = new Reader(secure);
      } else if (code === PROTOCOL_3) {
        if (client === plain) {
          // rds.force_ssl: no TLS, no login.
          plain.end(errorResponse("28000", "no pg_hba.conf entry: SSL off"));
          this.attempts.push({ user: "", database: "", refused: "no TLS" });
          return;
        }
        startup = Buffer.concat([Buffer.from([0, 0, 0, 0]), body]);
        startup.writeInt32BE(length, 0);
      } else {
        throw new Error(`unexpected startup code ${code}`);
      }
    }
    const pairs = startup.subarray(8).toString("utf8").split("\0");
    const settings: Record<string, string> = {};
    for (let i = 0; i + 1 < pairs.length && pairs[i] !== ""; i += 2) settings[pairs[i]] = pairs[i + 1];
    const user = settings.user ?? "";
    const database = settings.database ?? user;

    // AuthenticationCleartextPassword: the token travels inside TLS, as with RDS.
    client.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
    const type = (await reader.read(1)).toString();
    const length = (await reader.read(4)).readInt32BE(0);
    const token = (await reader.read(length - 4)).toString("utf8").replace(/\0$/, "");
    const refused = type !== "p" ? "no password message" : verifyRdsToken(token, { iam: this.o.iam, endpoint: this.endpoint, region: this.o.region, user, now: Date.now() + this.clockSkewMs });
    const accessKeyId = /X-Amz-Credential=([A-Z0-9]+)/.exec(token)?.[1];
    this.attempts.push({ user, database, accessKeyId, ...(refused ? { refused } : {}) });
    if (refused) {
      // RDS answers a bad token as PAM does, without saying why.
      client.end(errorResponse("28P01", `PAM authentication failed for user "${user}"`));
      return;
    }
    const backend = net.createConnection(this.o.backendSocket);
    this.sockets.add(backend);
    backend.once("close", () => client.destroy());
    client.once("close", () => backend.destroy());
    backend.on("error", () => client.destroy());
    client.on("error", () => backend.destroy());
    backend.write(startup);
    const ahead = reader.release();
    if (ahead.length > 0) backend.write(ahead);
    client.pipe(backend);
    backend.pipe(client);
  }
}

/** The EKS Pod Identity agent: current credentials of the role bound to each pod's authorization token. */
export class FakePodIdentityAgent {
  /** Pod authorization token to the credentials it gets now. */
  readonly current = new Map<string, FakeAccessKey>();
  /** Every credentials request served, by access key id handed out. */
  readonly served: string[] = [];
  /** The `Expiration` handed out is this far ahead (botocore renews within 15 minutes of it). */
  reportedLifetimeMs = 14 * 60_000;
  private server?: http.Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/credentials`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const key = request.url === "/v1/credentials" ? this.current.get(String(request.headers.authorization ?? "")) : undefined;
      if (!key) {
        response.writeHead(403, { "content-type": "application/json" }).end('{"Message":"not a pod this agent knows"}');
        return;
      }
      this.served.push(key.accessKeyId);
      const expiration = new Date(Math.min(key.expiresAt, Date.now() + this.reportedLifetimeMs)).toISOString();
      response
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey, Token: key.sessionToken, Expiration: expiration }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    if (this.server) await new Promise((resolve) => this.server!.close(resolve));
  }
}
