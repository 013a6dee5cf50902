#include "runtime/linux/process_setup.h"

#include <grp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "base/file_util.h"

namespace see::runtime {

Status ApplyRlimits(const std::vector<oci::Rlimit>& rlimits) {
  for (const auto& r : rlimits) {
    rlimit lim{r.soft, r.hard};
    if (prlimit(0, static_cast<__rlimit_resource>(r.resource), &lim, nullptr) < 0) {
      return ErrnoStatus("setrlimit " + r.type);
    }
  }
  return Status::Ok();
}

Status SetupUser(const oci::User& user, bool setgroups_allowed) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return ErrnoStatus("PR_SET_KEEPCAPS");
  if (setgroups_allowed) {
    std::vector<gid_t> gids(user.additional_gids.begin(), user.additional_gids.end());
    if (setgroups(gids.size(), gids.data()) < 0) return ErrnoStatus("setgroups");
  } else if (!user.additional_gids.empty()) {
    return FailedPrecondition("cannot set additionalGids: setgroups is denied in this user ns");
  }
  if (setresgid(user.gid, user.gid, user.gid) < 0) {
    return ErrnoStatus("setgid " + std::to_string(user.gid));
  }
  if (setresuid(user.uid, user.uid, user.uid) < 0) {
    return ErrnoStatus("setuid " + std::to_string(user.uid));
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return ErrnoStatus("PR_SET_KEEPCAPS");
  umask(user.umask ? static_cast<mode_t>(*user.umask) : 0022);
  return Status::Ok();
}

Status ApplyPersonality(const oci::Personality& p) {
  unsigned long persona = PER_LINUX;
  if (p.domain == "LINUX32") {
    persona = PER_LINUX32;
  } else if (p.domain != "LINUX") {
    return InvalidArgument("linux.personality.domain: unknown " + p.domain);
  }
  if (personality(persona) < 0) return ErrnoStatus("personality");
  return Status::Ok();
}

Status WriteOomScoreAdj(int value) {
  return WriteExistingFile("/proc/self/oom_score_adj", std::to_string(value));
}

namespace {

std::string EnvValue(const std::vector<std::string>& env, const std::string& key, bool* found) {
  *found = false;
  std::string value;
  for (const auto& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      value = e.substr(key.size() + 1);
      *found = true;
    }
  }
  return value;
}

bool IsExecutableFile(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

}  // namespace

std::vector<std::string> BuildEnv(const std::vector<std::string>& env, uint32_t uid,
                                  const std::string& passwd_content) {
  std::vector<std::string> out = env;
  bool found;
  EnvValue(env, "PATH", &found);
  if (!found) out.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  EnvValue(env, "HOME", &found);
  if (!found) {
    std::string home = "/";
    std::istringstream lines(passwd_content);
    std::string line;
    while (std::getline(lines, line)) {
      std::vector<std::string> f;
      std::stringstream ls(line);
      std::string part;
      while (std::getline(ls, part, ':')) f.push_back(part);
      if (f.size() >= 6 && f[2] == std::to_string(uid) && !f[5].empty()) {
        home = f[5];
        break;
      }
    }
    out.push_back("HOME=" + home);
  }
  return out;
}

Result<std::string> LookPath(const std::string& file, const std::vector<std::string>& env) {
  if (file.empty()) return InvalidArgument("process.args[0] is empty");
  if (file.find('/') != std::string::npos) {
    if (IsExecutableFile(file)) return file;
    return NotFound("exec: \"" + file + "\": stat " + file + ": no such file or executable");
  }
  bool found;
  std::string path = EnvValue(env, "PATH", &found);
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + file;
    if (IsExecutableFile(candidate)) return candidate;
  }
  return NotFound("exec: \"" + file + "\": executable file not found in $PATH");
}

}  // namespace see::runtime
