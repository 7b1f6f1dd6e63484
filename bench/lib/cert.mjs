// A self-signed certificate for 127.0.0.1, made with openssl at bench time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { buildDir } from './build.mjs';

export function makeCert() {
  const dir = `${buildDir}tls/`;
  mkdirSync(dir, { recursive: true });
  const cert = `${dir}cert.pem`;
  const key = `${dir}key.pem`;
  if (!existsSync(cert)) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  }
  return { cert, key };
}
