// A real OpenID provider for the SSO tests: panva's certified oidc-provider on a free
// loopback port. Run with the client's redirect URIs as a JSON array in REDIRECT_URIS;
// prints one JSON line ({"issuer": ...}) once it listens, then serves until killed.
// Its development login and consent pages accept any password: the test accounts are below.
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const ACCOUNTS = {
  alice: { email: 'alice@example.org', email_verified: true, name: 'Alice Example', groups: ['staff'] },
  root: { email: 'root@example.org', email_verified: true, name: 'Root Admin', groups: ['staff', 'cocourse-admins'] },
  trainer: { email: 'trainer@example.org', email_verified: true, name: 'Tess Trainer', groups: ['trainers'] },
  mallory: { email: 'mallory@example.org', email_verified: false, name: 'Mallory Unverified', groups: [] },
  nomail: { name: 'No Mail', groups: [] },
};

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const jwk = { ...signingKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: process.env.CLIENT_ID || 'cocourse-test',
        client_secret: process.env.CLIENT_SECRET || 'cocourse-test-secret',
        redirect_uris: JSON.parse(process.env.REDIRECT_URIS || '[]'),
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['cocourse tests only: not a secret'] },
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    async findAccount(ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
