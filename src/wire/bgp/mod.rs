//! BGP-4 messages (RFC 4271) and their extensions.
