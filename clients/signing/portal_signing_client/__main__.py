from portal_signing_client.cli import main

raise SystemExit(main())
