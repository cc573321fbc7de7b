"""`python -m bot` / `lapor-netral`: parse the arguments, then call the root (bot/app.py) or the demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot.logs import setup_logging
from bot.settings import Settings, SettingsError, check_paths, check_regions, check_routing, load_settings

NO_TOKEN_HELP = (
    "TELEGRAM_BOT_TOKEN is not set: open Telegram, talk to @BotFather, send /newbot and copy the token.\n"
    "Put it in .env (see .env.example) and run again. Meanwhile, here is the demo in your terminal."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lapor-netral", description="Lapor Netral bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default); the demo when no token is set")
    demo = sub.add_parser("demo", help="the report conversation in this terminal")
    demo.add_argument("--database", type=Path, default=None, help="SQLite file (default: data/demo.sqlite3)")
    backup = sub.add_parser("backup", help="consistent online copy of the database")
    backup.add_argument("path", type=Path)
    summary = sub.add_parser("summary", help="print a day's summary; write its chart (PNG) and spreadsheet (XLSX)")
    summary.add_argument("--date", type=date.fromisoformat, required=True, help="the day, YYYY-MM-DD")
    summary.add_argument("--out", type=Path, default=Path("."), help="folder for the files (default: here)")
    summary.add_argument(
        "--database",
        type=Path,
        default=None,
        help="SQLite file (default: DATABASE_PATH; the demo's is data/demo.sqlite3)",
    )
    paket = sub.add_parser("paket", help="write a report's hand-off packet (PDF) and its archive of originals (ZIP)")
    paket.add_argument("code", help="the ticket code, e.g. LN-7F3K9Q")
    paket.add_argument("--out", type=Path, default=Path("."), help="folder for the files (default: here)")
    bukti = sub.add_parser("bukti", help="write a report's evidence originals (a release, logged in the audit log)")
    bukti.add_argument("code", help="the ticket code, e.g. LN-7F3K9Q")
    bukti.add_argument("--out", type=Path, default=Path("."), help="folder for the files (default: here)")
    return parser


def _secrets(settings: Settings) -> list[str]:
    secrets = [
        settings.telegram_bot_token,
        settings.whatsapp_token,
        settings.whatsapp_app_secret,
        settings.whatsapp_verify_token,
        settings.webhook_secret,
    ]
    return [secret.get_secret_value() for secret in secrets if secret is not None]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        if getattr(args, "database", None) is not None and args.command == "summary":
            settings = settings.model_copy(update={"database_path": args.database})
        if args.command in (None, "run") and settings.telegram_bot_token is not None:
            # The one check of the Telegram settings, before anything is opened or logged.
            settings.require_telegram()
        if args.command in (None, "run"):
            settings.require_whatsapp()
        if args.command != "demo":  # the demo keeps its own database beside the default one
            check_paths(settings)
        check_regions(settings)
        check_routing(settings)
    except SettingsError as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        return 2
    command = args.command or "run"
    demo = command == "demo" or (command == "run" and settings.telegram_bot_token is None)
    # The demo's terminal is the user's screen: only warnings, unless asked for more.
    level = "WARNING" if demo and settings.log_level.upper() == "INFO" else settings.log_level
    setup_logging(level, _secrets(settings))
    if command == "summary":
        from bot.app import write_summary

        return asyncio.run(write_summary(settings, args.date, args.out))
    if command == "paket":
        from bot.app import write_packet

        return asyncio.run(write_packet(settings, args.code, args.out))
    if command == "bukti":
        from bot.app import write_originals

        return asyncio.run(write_originals(settings, args.code, args.out))
    if command == "backup":
        from bot.app import backup

        asyncio.run(backup(settings, args.path))
        sys.stderr.write(f"Backup written to {args.path}\n")
        return 0
    if command == "demo" or settings.telegram_bot_token is None:
        from bot.demo import run_demo

        if command != "demo":
            sys.stderr.write(NO_TOKEN_HELP + "\n")
        database = getattr(args, "database", None) or settings.database_path.parent / "demo.sqlite3"
        return asyncio.run(run_demo(settings, database))
    from bot.app import run

    run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
