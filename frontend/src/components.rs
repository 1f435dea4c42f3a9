//! Components shared by pages.

mod resource_card;

pub use resource_card::ResourceCard;
