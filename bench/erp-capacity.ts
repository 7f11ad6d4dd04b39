/**
 * The ERP sandbox's own capacity, without Weft (phase `capacity` of bench/bulk-sync.ts): customer
 * upserts (`PUT /record/v1/customer/eid:…`, TBA-signed, the same body the sync sends) from many
 * parallel keep-alive `node:http` clients in this process, as fast as the sandbox answers.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { type NetSuiteTbaCredentials, netsuiteTbaHeader } from '../src/connector/oauth1.js';

export interface CapacityResult {
  upserts: number;
  failures: number;
  seconds: number;
  /** The first few failure statuses and bodies, to say why. */
  failureSamples: string[];
}

/** The body the sync's `map` step produces for record `n` (see bench/bulk-sync.ts). */
function customerBody(n: number): string {
  return JSON.stringify({
    companyName: `Sandbox Account ${n}`,
    url: `account${n}.example.com`,
    phone: `+1 415 555 ${String(n % 10_000).padStart(4, '0')}`,
    comments: 'Technology',
  });
}

/**
 * Sends `records` upserts with external ids `<prefix><n>` over `clients` parallel keep-alive
 * connections. Stops early at `deadline` (epoch ms) and says so in the result's failures.
 */
export async function measureErpCapacity(opts: {
  baseUrl: string;
  credentials: NetSuiteTbaCredentials;
  records: number;
  clients: number;
  prefix: string;
  deadline: number;
}): Promise<CapacityResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.clients });
  const result: CapacityResult = { upserts: 0, failures: 0, seconds: 0, failureSamples: [] };
  let next = 0;
  const started = performance.now();
  const one = (n: number): Promise<void> => {
    const url = new URL(`${opts.baseUrl}/record/v1/customer/eid:${opts.prefix}${n}`);
    const authorization = netsuiteTbaHeader({
      credentials: opts.credentials,
      method: 'PUT',
      url,
      timestamp: Math.floor(Date.now() / 1000),
      nonce: randomBytes(12).toString('hex'),
    });
    const body = customerBody(n);
    return new Promise((resolve) => {
      const req = http.request(
        url,
        {
          method: 'PUT',
          agent,
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            if (res.statusCode === 204) result.upserts += 1;
            else {
              result.failures += 1;
              if (result.failureSamples.length < 3)
                result.failureSamples.push(`${res.statusCode}: ${text.slice(0, 200)}`);
            }
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        result.failures += 1;
        if (result.failureSamples.length < 3) result.failureSamples.push(String(err));
        resolve();
      });
      req.end(body);
    });
  };
  const client = async () => {
    while (next < opts.records) {
      if (Date.now() > opts.deadline) {
        result.failureSamples.push('deadline reached before every upsert was sent');
        return;
      }
      next += 1;
      await one(next);
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, client));
  result.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return result;
}
