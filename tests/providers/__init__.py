"""Stand-ins for LLM provider APIs: real HTTP servers on loopback speaking each provider's wire format."""
