from mlwarden.cli import main

raise SystemExit(main())
