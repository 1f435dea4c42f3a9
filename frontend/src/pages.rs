//! One page per file; a page's private components live beside it.

mod catalogue;
mod sign_in;

pub use catalogue::CataloguePage;
pub use sign_in::SignInPage;
