// A real OpenID provider (npm oidc-provider, a certified implementation) for the single sign-on
// tests, on 127.0.0.1. One confidential client that must use PKCE (S256); the ID token carries the
// claims of the scopes asked for (email, profile, groups), as company providers are set up to.
// Its quick-start sign-in and consent pages take any account id named in OIDC_ACCOUNTS (JSON:
// {"id": {"email": ..., "name": ..., "groups": [...]}}), so a test drives them with plain HTTP.
import Provider from 'oidc-provider';

const env = process.env;
const accounts = JSON.parse(env.OIDC_ACCOUNTS || '{}');

const provider = new Provider(env.OIDC_ISSUER, {
  clients: [{
    client_id: env.OIDC_CLIENT_ID,
    client_secret: env.OIDC_CLIENT_SECRET,
    redirect_uris: [env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['statuspage-tests-only'] },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email_verified: true, ...account };
      },
    };
  },
});
provider.proxy = false;

const port = Number(new URL(env.OIDC_ISSUER).port);
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${env.OIDC_ISSUER}`);
});
