"""`python -m app.relay`: the same as the robodeck-relay command."""

from app.relay.cli import main

raise SystemExit(main())
