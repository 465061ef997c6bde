"""Single sign-on with OpenID Connect: "Sign in with <organization>" through Authlib."""
