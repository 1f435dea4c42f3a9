//! The portal as an OAuth client of Citrix Cloud: the authorization code flow with PKCE, token
//! refresh and revocation, the ID token's claims, and where a user may be sent after sign-in.
//! The routes that use them are in `routes::auth`.

pub mod id_token;
pub mod oauth;
pub mod return_to;
