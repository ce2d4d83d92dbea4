"""Who is at the other end of the socket: `SO_PEERCRED`, checked against the
configured reviewer accounts (`user:NAME`, `group:NAME`), resolved once at start."""

from __future__ import annotations

import grp
import os
import pwd
import socket
import struct
from dataclasses import dataclass

_CRED = struct.Struct("3i")  # pid, uid, gid (struct ucred)


@dataclass(frozen=True)
class Peer:
    pid: int
    uid: int
    gid: int


def peer_of(sock: socket.socket) -> Peer:
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size)
    return Peer(*_CRED.unpack(raw))


def account_name(peer: Peer) -> str:
    """The login name of the peer's uid: the reviewer a session records, taken from
    the kernel's word (SO_PEERCRED) and the account database, never from anything
    the terminal says. LookupError for a uid without an account."""
    try:
        return pwd.getpwuid(peer.uid).pw_name
    except KeyError:
        raise LookupError(f"uid {peer.uid} has no account name") from None


@dataclass(frozen=True)
class Reviewers:
    uids: frozenset[int]
    gids: frozenset[int]

    @classmethod
    def parse(cls, names: list[str]) -> Reviewers:
        """Raises ValueError naming an entry that is not `user:NAME` or `group:NAME`
        of an existing account or group."""
        uids, gids = set(), set()
        for item in names:
            kind, _, name = item.partition(":")
            try:
                if kind == "user" and name:
                    uids.add(pwd.getpwnam(name).pw_uid)
                elif kind == "group" and name:
                    gids.add(grp.getgrnam(name).gr_gid)
                else:
                    raise ValueError(f"{item!r} is not user:NAME or group:NAME")
            except KeyError:
                raise ValueError(f"{item!r}: no such {kind} on this machine") from None
        if not uids and not gids:
            raise ValueError('no reviewer accounts: set reviewers = ["user:NAME", ...]')
        return cls(frozenset(uids), frozenset(gids))

    def admit(self, peer: Peer) -> bool:
        if peer.uid in self.uids or peer.gid in self.gids:
            return True
        if not self.gids:
            return False
        try:
            name = pwd.getpwuid(peer.uid).pw_name
            groups = os.getgrouplist(name, peer.gid)
        except (KeyError, OSError):
            return False
        return any(g in self.gids for g in groups)


def account_of(uid: int) -> str:
    """The account name of `uid`, "" if it has none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return ""
