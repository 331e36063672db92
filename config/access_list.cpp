#include "config/access_list.h"

#include <algorithm>

namespace stockade::supervisor {
namespace {

bool matches(const ClientRule& rule, const PeerCredentials& peer) {
  if (!rule.id) return false;  // fail closed: a name the host did not know
  switch (rule.match) {
    case ClientRule::Match::uid:
    case ClientRule::Match::user: return peer.uid == *rule.id;
    case ClientRule::Match::gid:
    case ClientRule::Match::group:
      return peer.gid == *rule.id ||
             std::find(peer.groups.begin(), peer.groups.end(), *rule.id) != peer.groups.end();
  }
  return false;
}

}  // namespace

bool ClientAccess::may_call(std::string_view plugin) const {
  if (!matched) return false;
  if (all_plugins) return true;
  return std::binary_search(plugins.begin(), plugins.end(), plugin);
}

ClientAccess match_client(const std::vector<ClientRule>& clients, const PeerCredentials& peer) {
  ClientAccess access;
  for (const ClientRule& rule : clients) {
    if (!matches(rule, peer)) continue;
    access.matched = true;
    access.admin = access.admin || rule.admin;
    for (const std::string& plugin : rule.plugins) {
      if (plugin == "*") {
        access.all_plugins = true;
      } else {
        access.plugins.push_back(plugin);
      }
    }
  }
  std::sort(access.plugins.begin(), access.plugins.end());
  access.plugins.erase(std::unique(access.plugins.begin(), access.plugins.end()),
                       access.plugins.end());
  return access;
}

}  // namespace stockade::supervisor
