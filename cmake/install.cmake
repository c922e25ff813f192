# `cmake --install` : headers, libraries and a CMake package, so that another project's
#
#   find_package(shardstore 0.1 CONFIG REQUIRED COMPONENTS engine checker)
#
# gives shardstore::engine, shardstore::sim, shardstore::models and shardstore::checker. Two
# export sets: the engine's (engine, sim, models: needs Threads and xxHash) and the checker's
# (needs RapidCheck, Boost.Context and nlohmann_json besides), so a project that asks only for
# the engine needs none of the checker's dependencies.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(shardstore_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/shardstore)

install(TARGETS shardstore_engine shardstore_sim shardstore_models EXPORT shardstore-engine-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS shardstore_checker EXPORT shardstore-checker-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT shardstore-engine-targets NAMESPACE shardstore:: DESTINATION ${shardstore_cmake_dir})
install(EXPORT shardstore-checker-targets NAMESPACE shardstore::
        DESTINATION ${shardstore_cmake_dir})

install(DIRECTORY shardstore/include/ sim/include/ models/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The engine's own harnesses (and the conformance driver over them) include the engine's private
# headers: they stay in the tree.
install(DIRECTORY checker/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        PATTERN chunk_store_harness.h EXCLUDE PATTERN index_harness.h EXCLUDE
        PATTERN store_harness.h EXCLUDE PATTERN conformance.h EXCLUDE)

# What the installed libraries were built as, for a user's CMakeLists to check.
set(SHARDSTORE_INSTALLED_SEEDED_BUGS ${SHARDSTORE_SEEDED_BUGS})
set(SHARDSTORE_INSTALLED_PRODUCTION ${SHARDSTORE_PRODUCTION})
set(SHARDSTORE_INSTALLED_SANITIZE ${SHARDSTORE_SANITIZE})
configure_package_config_file(cmake/shardstoreConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/shardstoreConfig.cmake
                              INSTALL_DESTINATION ${shardstore_cmake_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/shardstoreConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/shardstoreConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/shardstoreConfigVersion.cmake
        DESTINATION ${shardstore_cmake_dir})
