// A wallet made of a published OpenID4VCI client (@openid4vc/openid4vci, the library inside the
// Credo wallet framework) claiming a diploma from `credkit serve` on 127.0.0.1.
//
//   node claim.mjs claim <unused> < {"offer": "openid-credential-offer://?...", "txCode"?: "...",
//                                    "binding"?: "did" | "jwk", "alg"?: "EdDSA" | "ES256"}
//   -> {"holder": "did:key:z6Mk...", "credential": {...}, "requests": [{method, url, body}, ...]}
//
// The key (Ed25519, or P-256 for ES256) is made with Node's own crypto; its did:key is encoded
// here (multicodec 0xed01 + the raw key, or 0x1200 as varint 0x80 0x24 + the compressed P-256
// point; base58btc). `requests` records what the library sent, so the test can assert on it.
import crypto from 'node:crypto';
import {Openid4vciClient} from '@openid4vc/openid4vci';
import {clientAuthenticationAnonymous, setGlobalConfig} from '@openid4vc/oauth2';

// the service runs on http://127.0.0.1 in the test; the library requires https unless told
setGlobalConfig({allowInsecureUrls: true});

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58btc(bytes) {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return 'z' + out;
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

async function claim(input) {
  const es256 = input.alg === 'ES256';
  const {publicKey, privateKey} = es256
    ? crypto.generateKeyPairSync('ec', {namedCurve: 'P-256'})
    : crypto.generateKeyPairSync('ed25519');
  const publicJwk = publicKey.export({format: 'jwk'});
  const x = Buffer.from(publicJwk.x, 'base64url');
  const multikey = es256
    ? base58btc(Buffer.concat([
        Buffer.from([0x80, 0x24]),
        // SEC1 compressed point: 0x02 for an even y, 0x03 for an odd one, then x
        Buffer.from([2 + (Buffer.from(publicJwk.y, 'base64url').at(-1) & 1)]),
        x,
      ]))
    : base58btc(Buffer.concat([Buffer.from([0xed, 0x01]), x]));
  const alg = es256 ? 'ES256' : 'EdDSA';
  const did = `did:key:${multikey}`;
  const requests = [];

  const callbacks = {
    fetch: async (url, init = {}) => {
      requests.push({
        method: init.method ?? 'GET',
        url: String(url),
        body: typeof init.body === 'string' ? init.body : null,
        contentType: init.headers ? new Headers(init.headers).get('content-type') : null,
      });
      return fetch(url, init);
    },
    hash: (data, alg) => new Uint8Array(crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest()),
    generateRandom: (n) => new Uint8Array(crypto.randomBytes(n)),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: async (signer, {header, payload}) => {
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
      // JWS ES256 is r || s, 32 bytes each (RFC 7518 §3.4), not DER
      const signature = es256
        ? crypto.sign('sha256', Buffer.from(input), {key: privateKey, dsaEncoding: 'ieee-p1363'})
        : crypto.sign(null, Buffer.from(input), privateKey);
      return {jwt: `${input}.${b64url(signature)}`, signerJwk: publicJwk};
    },
  };
  const client = new Openid4vciClient({callbacks});

  const offer = await client.resolveCredentialOffer(input.offer);
  const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer,
    issuerMetadata,
    txCode: input.txCode,
  });
  const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
  const configurationId = offer.credential_configuration_ids[0];
  const signer =
    input.binding === 'jwk'
      ? {method: 'jwk', alg, publicJwk}
      : {method: 'did', alg, didUrl: `${did}#${multikey}`};
  const {jwt} = await client.createCredentialRequestJwtProof({
    issuerMetadata,
    signer,
    credentialConfigurationId: configurationId,
    nonce,
  });
  const result = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configurationId,
    proofs: {jwt: [jwt]},
  });
  const first = result.credentialResponse.credentials[0];
  return {
    holder: did,
    version: issuerMetadata.originalDraftVersion,
    credential: first.credential ?? first,
    requests,
  };
}

async function main() {
  const command = process.argv[2];
  const input = await readStdin();
  let out;
  if (command === 'claim') {
    try {
      out = await claim(input);
    } catch (error) {
      // an OAuth error answer the library parsed (token or credential endpoint): what a wallet
      // would show; anything else is a failure of the run
      const parsed = error?.errorResponse ?? error?.response?.credentialErrorResponseResult?.data;
      if (!parsed?.error) throw error;
      out = {refused: parsed, message: String(error.message)};
    }
  }
  else if (command === 'info') {
    const {readFileSync} = await import('node:fs');
    const versions = {};
    for (const name of ['@openid4vc/openid4vci', '@openid4vc/oauth2', '@openid4vc/utils']) {
      const manifest = new URL(`./node_modules/${name}/package.json`, import.meta.url);
      versions[name] = JSON.parse(readFileSync(manifest, 'utf8')).version;
    }
    out = {node: process.version, versions};
  } else throw new Error(`unknown command ${command}`);
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  const detail = error?.errorResponse ?? error?.credentialErrorResponseResult ?? null;
  process.stdout.write(JSON.stringify({error: String(error?.stack ?? error), detail}));
  process.exit(1);
});
