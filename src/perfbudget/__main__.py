from perfbudget.cli import main

raise SystemExit(main())
