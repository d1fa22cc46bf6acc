//! `lxcri run`: create and start; in the foreground, forward signals to the container's process
//! until it exits, then delete the container.

use crate::error::Error;
use crate::id::ContainerId;
use crate::plan::CreateOptions;
use crate::runtime::Runtime;
use crate::sys::signals::{self, Forwarder};
use std::os::fd::AsFd;

impl Runtime {
    /// create + start; unless `detach`, wait for the container's init and return its exit
    /// status (128+signal when killed), then delete the container unless `keep`.
    pub fn run(
        &self,
        id: &ContainerId,
        opts: &CreateOptions,
        detach: bool,
        keep: bool,
    ) -> Result<u8, Error> {
        let forwarded = if detach {
            None
        } else {
            // The monitor's death re-parents init to us, so we can reap it.
            nix::sys::prctl::set_child_subreaper(true)
                .map_err(|e| Error::io("PR_SET_CHILD_SUBREAPER", e.into()))?;
            // Signals meant for the container (Ctrl-C at a shell, a supervisor's TERM) are
            // blocked from now on and forwarded once it runs, as runc run does; none is lost
            // while it is being created. init's finishing step unblocks them in the container.
            Some(
                Forwarder::block(signals::RUN)
                    .map_err(|e| Error::io("blocking the signals to forward", e))?,
            )
        };
        let mut opts = opts.clone();
        opts.relay_terminal = !detach && opts.console_socket.is_none();
        let mut leaving = self.create_leaving_monitor(id, &opts)?;
        let pty = leaving.pty.take();
        if let Some(pty) = &pty {
            // Sized before the process runs, so that it starts with our terminal's size.
            crate::sys::console::copy_winsize(std::io::stdin().as_fd(), pty.as_fd());
        }
        let started = self.start(id);
        // The killed monitor is reaped (its mount namespace torn down) and its cgroups removed
        // once the process runs, off the path to its exec, and on a thread while the process
        // runs: joined before init is reaped or anything deleted. Init is re-parented to us
        // when the monitor dies, before it could be reaped.
        let finishing = leaving.finish_in_background();
        if let Err(e) = started {
            finishing.join();
            let _ = self.delete(id, true);
            return Err(e);
        }
        let Some(forwarded) = forwarded else {
            finishing.join();
            return Ok(0);
        };
        let (_, st) = self.load(id)?;
        let pid = st.init.map(|i| i.pid).unwrap_or(0);
        // With a terminal, its relay copies our stdin and stdout to the pty beside the
        // forwarding of signals, and has drained the output when it ends.
        let relay = pty.map(|master| {
            let resize = master.try_clone();
            let thread = std::thread::spawn(move || crate::sys::console::relay(master, pid));
            (thread, resize)
        });
        let forwarding = match &relay {
            Some((_, Ok(pty))) => forwarded.relay_until_exit_with_pty(pid, Some(pty.as_fd())),
            _ => forwarded.relay_until_exit(pid),
        };
        let relayed = match relay {
            Some((thread, _)) => thread
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the terminal relay panicked"))),
            None => Ok(()),
        };
        // Init's exit makes its pidfd readable at once, but while the killed monitor has not
        // finished exiting init is still its child: reaped by us only once the monitor is.
        finishing.join();
        let code = forwarding
            .map_err(|e| Error::io("forwarding signals to the container", e))
            .and_then(|()| relayed.map_err(|e| Error::io("relaying the terminal", e)))
            .and_then(|()| {
                crate::sys::reap::exit_status(pid)
                    .map_err(|e| Error::io("waitpid container init", e))
            });
        if !keep {
            self.delete(id, true)?;
        }
        code
    }
}

/// `lxcri run [FLAGS] ID`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub options: CreateOptions,
    /// Container id.
    pub id: String,
    /// Return after start instead of waiting for the container.
    #[arg(short, long)]
    pub detach: bool,
    /// Keep the container after it exits.
    #[arg(long)]
    pub keep: bool,
}

pub fn run(rt: &Runtime, a: &Args) -> Result<u8, Error> {
    rt.run(&ContainerId::new(&a.id)?, &a.options, a.detach, a.keep)
}
