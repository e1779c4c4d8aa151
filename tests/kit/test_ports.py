"""free_port: listening ports for a mesh that outgoing connections and other meshes on the machine cannot take."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from shopmesh import mesh


def test_ports_are_distinct_below_the_ephemeral_range_and_not_shared_with_a_live_process() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys
            from shopmesh.mesh import free_port
            print(" ".join(str(free_port()) for _ in range(300)), flush=True)
            sys.stdin.read()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        theirs = {int(p) for p in child.stdout.readline().split()}
        ours = [mesh.free_port() for _ in range(300)]
    finally:
        child.communicate("")
    assert len(theirs) == 300 and len(set(ours)) == 300
    assert not theirs & set(ours), "a port reserved by a live process was handed out again"
    assert max(ours) < mesh._ephemeral_low()


def test_a_reservation_of_an_exited_process_is_taken_over() -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    port = mesh.free_port()
    path = mesh.PORT_RESERVATIONS / str(port)
    path.write_text(dead.stdout.strip())
    assert mesh._reserve(port)
    assert path.read_text() == str(os.getpid())
    assert not mesh._reserve(port), "this process already holds it"
