import fs from 'node:fs';
import path from 'node:path';
import { type Config, runtimeMode } from '../config.js';
import { WeftError } from '../contract/errors.js';
import type { Logger } from '../observability/logger.js';
import { generateSecretsKey, SecretBox, type SecretsKey, secretsKeyFromBase64 } from './secret-box.js';

/** The key file embedded mode generates in the data directory when no key is configured. */
export const generatedKeyFileName = 'secrets.key';

/** Where the secrets key comes from; `box()` loads it once, on first use. */
export interface SecretsKeySource {
  box(): SecretBox;
}

export type SecretsKeyConfig = Pick<
  Config,
  'secretsKey' | 'secretsKeyFile' | 'secretsPreviousKeys' | 'dataDir' | 'databaseUrl'
>;

/**
 * Resolves the secrets key from the configuration: `WEFT_SECRETS_KEY`, else
 * `WEFT_SECRETS_KEY_FILE`, else — in embedded mode only — `<dataDir>/secrets.key`, generated
 * (mode 0600) the first time a secret is sealed or opened, and logged, so a fresh install needs
 * no setup. Cluster mode without a key is refused here, at boot: every process must share the
 * key, and one that invented its own would write secrets the others cannot read.
 *
 * A configured key (or key file) is read at once, so a bad one fails the boot rather than the
 * first request.
 *
 * @example
 * const keys = secretsKeySource({ config, logger });
 * const sealed = keys.box().seal(value, 'connection:stripe-main');
 */
export function secretsKeySource(opts: { config: SecretsKeyConfig; logger: Logger }): SecretsKeySource {
  const { config, logger } = opts;
  const previous = (config.secretsPreviousKeys ?? '')
    .split(',')
    .filter((k) => k.trim() !== '')
    .map((k, i) => secretsKeyFromBase64(k, `WEFT_SECRETS_PREVIOUS_KEYS[${i}]`));
  const make = (current: SecretsKey) => new SecretBox({ current, previous });

  if (config.secretsKey !== undefined) {
    const box = make(secretsKeyFromBase64(config.secretsKey, 'WEFT_SECRETS_KEY'));
    return { box: () => box };
  }
  if (config.secretsKeyFile !== undefined) {
    const box = make(readKeyFile(config.secretsKeyFile, 'WEFT_SECRETS_KEY_FILE', logger));
    return { box: () => box };
  }
  if (runtimeMode(config) === 'cluster') {
    throw new WeftError({
      code: 'invalid_input',
      message:
        'invalid configuration:\n  WEFT_SECRETS_KEY or WEFT_SECRETS_KEY_FILE is required with WEFT_DATABASE_URL: ' +
        'every process of the cluster must use the same key to read Connection secrets ' +
        '(create one with `openssl rand -base64 32`)',
    });
  }
  let box: SecretBox | undefined;
  return {
    box: () => {
      box ??= make(embeddedKey(config.dataDir, logger));
      return box;
    },
  };
}

/** Reads `<dataDir>/secrets.key`, creating it first if there is none. */
function embeddedKey(dataDir: string, logger: Logger): SecretsKey {
  const file = path.join(dataDir, generatedKeyFileName);
  if (!fs.existsSync(file)) {
    const key = generateSecretsKey();
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      // `wx`: if another process got here first, its key wins and is read below.
      fs.writeFileSync(file, `${key.key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      logger.warn(
        { file, keyId: key.id },
        'generated a secrets key for Connection credentials; back this file up with the database: without it the stored secrets cannot be read',
      );
      return key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return readKeyFile(file, file, logger);
}

function readKeyFile(file: string, source: string, logger: Logger): SecretsKey {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new WeftError({ code: 'invalid_input', message: `${source}: cannot read ${file}: ${reason}` });
  }
  // A key others can read is a key others have: say so, but do not refuse (the operator decides).
  if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0) {
    logger.warn({ file }, 'the secrets key file is readable by other users; chmod 600 it');
  }
  return secretsKeyFromBase64(text, `${source} (${file})`);
}
