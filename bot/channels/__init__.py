"""Channel adapters: each turns its platform's messages into InboundMessage and Replies back."""
