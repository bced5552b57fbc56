"""The exceptions invitegraph raises: one family under :class:`Error`.

Every failure of the library is an :class:`Error`, so ``except invitegraph.Error``
catches them all. Each subclass also derives from the built-in exception a Python
caller would expect for that kind of failure, so ``except ValueError`` or
``except KeyError`` keeps working:

===========================  =====================  ==========================================
class                        also a                 raised for
===========================  =====================  ==========================================
:class:`InvalidArgumentError` ``ValueError``        a bad value: a table row, an id that is not
                                                    an exact integer, a timestamp out of the
                                                    plausible window, a bad option
:class:`ArgumentTypeError`   ``ValueError``,        an argument of the wrong type (a string
                             ``TypeError``          where a count goes, a list where an id goes)
:class:`NotFoundError`       ``KeyError``           an id that is not in the graph
:class:`OutOfRangeError`     ``IndexError``         a position past the end
:class:`SnapshotError`       ``OSError``            a snapshot (graph, state or ranker) that
                                                    cannot be read or written, or is damaged;
                                                    its subclasses
                                                    :class:`SnapshotNotFoundError` and
                                                    :class:`SnapshotPermissionError` are also
                                                    ``FileNotFoundError`` and
                                                    ``PermissionError``
:class:`Error`               ``Exception``          anything else: a call the object's state
                                                    does not allow (an uncalibrated ranker for
                                                    a wave), an internal failure
===========================  =====================  ==========================================

The C++ core reports an ``absl::Status``; ``bindings/status_conversion.h`` turns its
code into one of these classes (and is the only place that does).

This module must not import ``invitegraph._core``: the extension imports it while it
initialises.
"""
from __future__ import annotations

__all__ = ["ArgumentTypeError", "Error", "InvalidArgumentError", "NotFoundError",
           "OutOfRangeError", "SnapshotError", "SnapshotNotFoundError",
           "SnapshotPermissionError"]


class Error(Exception):
    """Base class of every exception invitegraph raises."""


class InvalidArgumentError(Error, ValueError):
    """A value the library refuses: it names the argument or ``table.column[row]`` and
    the value. Nothing of the call was applied."""


class ArgumentTypeError(InvalidArgumentError, TypeError):
    """An argument of a type the library cannot use (also a ``TypeError``)."""


class NotFoundError(Error, KeyError):
    """An id (user, inviter, invitee) that is not in the graph."""

    def __str__(self) -> str:
        # KeyError's str() quotes its argument; a message reads better without.
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()


class OutOfRangeError(Error, IndexError):
    """A position past the end of what the library holds."""


class SnapshotError(Error, OSError):
    """A snapshot file or byte string (graph, recipient state, ranker) that cannot be
    opened, read or written, or that is damaged, truncated or of another format."""


class SnapshotNotFoundError(SnapshotError, FileNotFoundError):
    """A snapshot path that does not exist (also a ``FileNotFoundError``)."""


class SnapshotPermissionError(SnapshotError, PermissionError):
    """A snapshot path the process may not read or write (also a
    ``PermissionError``)."""


# Shown as invitegraph.X in tracebacks, not invitegraph._errors.X.
for _cls in (Error, InvalidArgumentError, ArgumentTypeError, NotFoundError,
             OutOfRangeError, SnapshotError, SnapshotNotFoundError, SnapshotPermissionError):
    _cls.__module__ = "invitegraph"
del _cls
