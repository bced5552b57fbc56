# Fails when a file of one layer includes a header of a layer it does not link.
# Run by the build (src/CMakeLists.txt, one check per layer, before the layer's
# library compiles) and by a test on a fixture (tests/CMakeLists.txt).
#
#   cmake -DLAYER=graph -DFILES=a.cc|b.h -DALLOWED_FOLDERS=internal|base|ingest|graph
#         -DKNOWN_FOLDERS=<every folder of every layer>
#         -DALLOWED_HEADERS=types.h|... -DKNOWN_HEADERS=<every public header>
#         [-DSTAMP=file] -P check_layer_includes.cmake
#
# An include "folder/x.h" is checked when `folder` belongs to a layer, and an
# include "invitegraph/x.h" when x.h is a public header a layer implements;
# anything else (absl/, Eigen/, boost/, <...>) is left alone.
foreach(var LAYER FILES ALLOWED_FOLDERS KNOWN_FOLDERS ALLOWED_HEADERS KNOWN_HEADERS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_layer_includes.cmake: -D${var}= is required")
  endif()
  string(REPLACE "|" ";" ${var} "${${var}}")
endforeach()

set(problems "")
foreach(file IN LISTS FILES)
  file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "\"([A-Za-z0-9_]+)/([A-Za-z0-9_.]+)\"")
      continue()
    endif()
    set(folder "${CMAKE_MATCH_1}")
    set(header "${CMAKE_MATCH_2}")
    if(folder STREQUAL "invitegraph")
      if(header IN_LIST KNOWN_HEADERS AND NOT header IN_LIST ALLOWED_HEADERS)
        list(APPEND problems "${file}: includes \"invitegraph/${header}\", a public header of a layer above ${LAYER}")
      endif()
    elseif(folder IN_LIST KNOWN_FOLDERS AND NOT folder IN_LIST ALLOWED_FOLDERS)
      list(APPEND problems "${file}: includes \"${folder}/${header}\", from src/${folder}/, a folder of a layer above ${LAYER}")
    endif()
  endforeach()
endforeach()

if(problems)
  string(REPLACE ";" "\n  " problems "${problems}")
  string(REPLACE ";" ", " allowed "${ALLOWED_FOLDERS}")
  message(FATAL_ERROR "upward include in layer ${LAYER}:\n  ${problems}\n"
          "Layer ${LAYER} may include src/ folders ${allowed} and the public headers "
          "of those layers; the layers and what each links are listed in src/CMakeLists.txt.")
endif()
if(DEFINED STAMP)
  file(WRITE "${STAMP}" "${LAYER}: includes checked\n")
endif()
