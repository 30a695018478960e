"""Example user tool class: a notes app behind a login, whose note ids flow from one call to the next.

Use it with ``fr_core.envs.load_python_env("data/tools/notes_app.py:NotesApp")``.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

__all__ = ["NotesApp"]


class NotesApp:
    """Personal notes for a few users; every note tool needs a logged-in user."""

    def __init__(self) -> None:
        self.users: dict[str, str] = {"alice": "wonderland", "bob": "builder"}
        self.current_user: Optional[str] = None
        self.notes: dict[str, dict[str, Any]] = {}
        self.next_id = 1

    def load_state(self, state: dict[str, Any]) -> None:
        """Start from ``{"users": {name: password}, "current_user": ..., "notes": {note_id: note}}``."""
        self.users = dict(state.get("users", self.users))
        self.current_user = state.get("current_user")
        self.notes = {str(k): dict(v) for k, v in state.get("notes", {}).items()}
        numbers = [int(k[1:]) for k in self.notes if k[1:].isdigit()]
        self.next_id = max(numbers, default=0) + 1

    def login(self, username: str, password: str) -> dict[str, Any]:
        """Log a user in; the note tools act on this user's notes.

        Args:
            username: The user's name, e.g. 'alice'.
            password: The user's password.

        Returns:
            username (str): The user now logged in.
            note_count (int): How many notes the user has.
        """
        if self.users.get(username) != password:
            return {"error": f"login: wrong username or password for '{username}'"}
        self.current_user = username
        return {"username": username, "note_count": len(self._own())}

    def logout(self) -> dict[str, Any]:
        """Log the current user out.

        Returns:
            logged_out (bool): True when a user was logged in.
        """
        was = self.current_user is not None
        self.current_user = None
        return {"logged_out": was}

    def create_note(
        self,
        title: str,
        body: str,
        tags: Optional[list[str]] = None,
        priority: Literal["low", "normal", "high"] = "normal",
    ) -> dict[str, Any]:
        """Create a note for the logged-in user.

        Args:
            title: A short title.
            body: The text of the note.
            tags: Labels to find the note by later.
            priority: How urgent the note is.

        Returns:
            note_id (str): The id of the new note, used by read_note and delete_note.
            title (str): The title as stored.
        """
        if self.current_user is None:
            return {"error": "create_note: no user is logged in; call login first"}
        note_id = f"n{self.next_id}"
        self.next_id += 1
        self.notes[note_id] = {
            "note_id": note_id,
            "owner": self.current_user,
            "title": title,
            "body": body,
            "tags": list(tags or []),
            "priority": priority,
        }
        return {"note_id": note_id, "title": title}

    def list_notes(self, tag: Optional[str] = None) -> dict[str, Any]:
        """List the logged-in user's notes, optionally only those with a tag.

        Args:
            tag: Only notes carrying this tag.

        Returns:
            notes (list): One {note_id, title, priority} per note.
        """
        if self.current_user is None:
            return {"error": "list_notes: no user is logged in; call login first"}
        notes = [n for n in self._own() if tag is None or tag in n["tags"]]
        return {"notes": [{k: n[k] for k in ("note_id", "title", "priority")} for n in notes]}

    def read_note(self, note_id: str) -> dict[str, Any]:
        """Read one note of the logged-in user.

        Args:
            note_id: The id returned by create_note or list_notes.

        Returns:
            note_id (str): The note's id.
            title (str): Its title.
            body (str): Its text.
            tags (list): Its tags.
        """
        note = self._find(note_id, "read_note")
        if "error" in note:
            return note
        return {k: note[k] for k in ("note_id", "title", "body", "tags")}

    def delete_note(self, note_id: str) -> dict[str, Any]:
        """Delete one note of the logged-in user.

        Args:
            note_id: The id of the note to delete.

        Returns:
            deleted (str): The id of the deleted note.
        """
        note = self._find(note_id, "delete_note")
        if "error" in note:
            return note
        del self.notes[note_id]
        return {"deleted": note_id}

    def _own(self) -> list[dict[str, Any]]:
        return [n for n in self.notes.values() if n["owner"] == self.current_user]

    def _find(self, note_id: str, tool: str) -> dict[str, Any]:
        if self.current_user is None:
            return {"error": f"{tool}: no user is logged in; call login first"}
        note = self.notes.get(note_id)
        if note is None or note["owner"] != self.current_user:
            return {"error": f"{tool}: {self.current_user} has no note '{note_id}'"}
        return note
