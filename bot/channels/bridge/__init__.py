"""The generic signed bridge: any self-hosted bridge (mautrix, signal-cli REST, a team's own script) speaks to the bot
through one small contract, docs/bridge.md."""
