//! One page per file.

mod catalogue;
mod sign_in;

pub use catalogue::CataloguePage;
pub use sign_in::SignInPage;
