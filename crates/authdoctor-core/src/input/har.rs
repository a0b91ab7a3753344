//! Read browser HAR files leniently and turn an entry into a request plus its recorded exchange.
//!
//! OWNED BY THE HAR WORK ITEM.
