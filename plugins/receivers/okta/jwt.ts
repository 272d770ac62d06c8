/**
 * Client assertions for OAuth for Okta (private_key_jwt, RFC 7523): a short-lived JWT signed
 * with the service app's private key, one per token request. Okta accepts RS256/384/512 and
 * ES256/384/512; the algorithm follows the key (RSA → RS256, EC P-256/384/521 → ES256/384/512).
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { PermanentError } from '../../../core/errors.js';

/** Okta refuses assertions valid for more than an hour; five minutes is plenty for one request. */
const ASSERTION_LIFETIME_S = 300;

interface SigningKey {
  readonly key: KeyObject;
  readonly alg: string;
  readonly hash: string;
  readonly kid: string | undefined;
}

/**
 * Parses a PEM (PKCS#8 or PKCS#1/SEC1) or JWK private key. The error never carries key material.
 */
export function loadSigningKey(text: string, keyId: string | undefined, name: string): SigningKey {
  let key: KeyObject;
  let kid = keyId;
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as Record<string, unknown>;
      if (kid === undefined && typeof jwk['kid'] === 'string') kid = jwk['kid'];
      key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } else {
      key = createPrivateKey(trimmed);
    }
  } catch {
    throw new PermanentError('invalid_private_key', `${name}: private_key is not a PEM or JWK private key`);
  }
  if (key.asymmetricKeyType === 'rsa') return { key, alg: 'RS256', hash: 'sha256', kid };
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { key, alg: 'ES256', hash: 'sha256', kid };
    if (curve === 'secp384r1') return { key, alg: 'ES384', hash: 'sha384', kid };
    if (curve === 'secp521r1') return { key, alg: 'ES512', hash: 'sha512', kid };
  }
  throw new PermanentError('invalid_private_key', `${name}: private_key must be an RSA or an EC (P-256, P-384, P-521) key`);
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** A signed client assertion: iss = sub = client id, aud = the token endpoint. */
export function clientAssertion(signing: SigningKey, clientId: string, audience: string, nowMs = Date.now()): string {
  const iat = Math.floor(nowMs / 1000);
  const header = signing.kid === undefined ? { alg: signing.alg, typ: 'JWT' } : { alg: signing.alg, typ: 'JWT', kid: signing.kid };
  const claims = { iss: clientId, sub: clientId, aud: audience, iat, exp: iat + ASSERTION_LIFETIME_S, jti: randomUUID() };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // JWS wants ECDSA signatures as r||s (IEEE P1363), not DER.
  const signature = sign(signing.hash, Buffer.from(input), signing.alg.startsWith('ES') ? { key: signing.key, dsaEncoding: 'ieee-p1363' } : signing.key);
  return `${input}.${base64url(signature)}`;
}
