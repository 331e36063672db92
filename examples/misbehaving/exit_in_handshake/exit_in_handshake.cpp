// exit_in_handshake: started properly, exits with code 3 before sending
// Hello, so the host sees end of stream where it waits for the handshake.
#include <unistd.h>

#include "raw_link.h"

int main() {
  stockade::examples::misbehaving::RawLink link("exit_in_handshake");
  _exit(3);
}
