"""`python -m mockexam …` entry point."""

from mockexam.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
