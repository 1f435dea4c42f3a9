//! One page per file; a page's private components live beside it.

mod admin;
mod catalogue;
mod sign_in;
mod top_bar;

pub use admin::AdminPage;
pub use catalogue::CataloguePage;
pub use sign_in::SignInPage;
